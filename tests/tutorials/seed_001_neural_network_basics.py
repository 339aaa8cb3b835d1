# Tensors / Neural Networks (shared/seeds/001_cc0c6cc72fdd4297.txt): a single
# sigmoid unit and a two-layer network from seeded random tensors, then NumPy
# interop. The tutorial's code as written; notebook cells that end in a bare
# expression (Jupyter echoes its repr) print it with print(repr(...)).
import torch  # PyTorch
def activation(x):
    """ Sigmoid activation function 
    
        Arguments
        ---------
        x: torch.Tensor
    """
    return 1/(1+torch.exp(-x))

torch.manual_seed(7)

features = torch.randn((1, 5))
weights = torch.randn_like(features)
bias = torch.randn((1, 1))
print_dict = [('features', features), 
              ('weights', weights),
              ('bias', bias)]
[print(name+':\n\t'+str(tensor.shape)+'\n\t'+str(tensor)) for name, tensor in print_dict];

output_layer_input = (features * weights).sum() + bias
output = activation(output_layer_input)
print_dict = [('output_layer_input', output_layer_input), 
              ('output', output)]
[print(name+':\n\t'+str(tensor.shape)+'\n\t'+str(tensor)) for name, tensor in print_dict];

# >> torch.mm(features, weights)   -- shown on the page as the error it raises
# (not run: the page quotes the error text of an older PyTorch).

output_layer_input = torch.mm(features, weights.view(5,1)).sum() + bias
output = activation(output_layer_input)
print_dict = [('output', output)]
[print(name+':\n\t'+str(tensor.shape)+'\n\t'+str(tensor)) for name, tensor in print_dict];

torch.manual_seed(7) 

features = torch.randn((1, 3))
n_input = features.shape[1]     # Number of input units, matches number of input features
n_hidden = 2                    # Number of hidden units 
n_output = 1                    # Number of output units

W1 = torch.randn(n_input, n_hidden)  # Weights for inputs to hidden layer
W2 = torch.randn(n_hidden, n_output) # Weights for hidden layer to output layer

B1 = torch.randn((1, n_hidden)) # Bias terms for hidden and output layers
B2 = torch.randn((1, n_output))
print_dict = [('features', features), 
              ('W1', W1), 
              ('W2', W2), 
              ('B1', B1), 
              ('B1', B2)]
[print(name+':\n\t'+str(tensor.shape)+'\n\t'+str(tensor)) for name, tensor in print_dict];

hidden = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(hidden, W2) + B2)
print_dict = [('hidden', hidden), 
              ('output', output)]
[print(name+':\n\t'+str(tensor.shape)+'\n\t'+str(tensor)) for name, tensor in print_dict];

# Numpy to Torch and back
import numpy as np
np.random.seed(0)  # added: the page drew `a` unseeded; seeded so both runs draw the same array
a = np.random.rand(4,3)
print(repr(a))  # notebook cell echo

b = torch.from_numpy(a)
print(repr(b))  # notebook cell echo

print(repr(b.numpy()))  # notebook cell echo

# Multiply PyTorch Tensor by 2, in place
print(repr(b.mul_(2)))  # notebook cell echo

# Numpy array matches new values from Tensor
print(repr(a))  # notebook cell echo
